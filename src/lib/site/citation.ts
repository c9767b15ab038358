/**
 * Citation strings shown on the Cite page. The project's title must match
 * CITATION.cff at the repository root (a unit test checks this).
 */

export const PROJECT_TITLE = '3D Score-CAM: Visualizing a 3D ResNet for Medical Image Classification in the Browser';
export const PROJECT_YEAR = 2026;

/** BibTeX for this site; `url` is the deployed site's stable address. */
export function projectBibtex(url: string): string {
  return [
    '@misc{scorecam3d-site,',
    `   title = {${PROJECT_TITLE}},`,
    '   author = {{The scorecam-3d contributors}},',
    `   year = {${PROJECT_YEAR}},`,
    `   url = {${url}},`,
    '   note = {Re-implementation of R. D. H. Al-Fahsi, "Visualizing 3D ResNet for Medical Image Classification With Score-CAM"},',
    '}',
  ].join('\n');
}

/** The original project's BibTeX, verbatim from its README. */
export const ORIGINAL_BIBTEX = `@misc{3dviz-scorecam,
   title = {Visualizing 3D ResNet for Medical Image Classification With Score-CAM},
   url = {https://github.com/reshalfahsi/3d-viz-score-cam},
   author = {Resha Dwika Hefni Al-Fahsi},
}`;

export const MEDMNIST_BIBTEX = `@article{medmnistv2,
   title = {MedMNIST v2 - A large-scale lightweight benchmark for 2D and 3D biomedical image classification},
   author = {Yang, Jiancheng and Shi, Rui and Wei, Donglai and Liu, Zequan and Zhao, Lin and Ke, Bilian and Pfister, Hanspeter and Ni, Bingbing},
   journal = {Scientific Data},
   volume = {10},
   number = {1},
   pages = {41},
   year = {2023},
}`;

export const SCORECAM_BIBTEX = `@inproceedings{wang2020scorecam,
   title = {Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks},
   author = {Wang, Haofan and Wang, Zifan and Du, Mengnan and Yang, Fan and Zhang, Zijian and Ding, Sirui and Mardziel, Piotr and Hu, Xia},
   booktitle = {Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition Workshops},
   pages = {24--25},
   year = {2020},
}`;
