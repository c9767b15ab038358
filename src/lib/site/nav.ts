/**
 * The site's primary navigation, in order. To add a page to the header nav,
 * add an entry here (href is site-relative WITHOUT the base path; links are
 * passed through withBase when rendered).
 */
export interface NavItem {
  href: string;
  label: string;
  /** One line shown on the landing page's section cards (omit to hide it there). */
  blurb?: string;
}

export const NAV: readonly NavItem[] = [
  { href: '/', label: 'Home' },
  {
    href: '/method/',
    label: 'Method',
    blurb: 'The 3D ResNet, how Score-CAM weighs activation maps without gradients, and how deletion and insertion curves score an explanation.',
  },
  {
    href: '/data/',
    label: 'Data',
    blurb: 'OrganMNIST3D: eleven abdominal organs cropped from CT as 3D cubes, and the procedural phantom that stands in for it offline.',
  },
  {
    href: '/results/',
    label: 'Results',
    blurb: 'Classification metrics, training curves and deletion/insertion scores, computed by the build from the shipped model.',
  },
  {
    href: '/explorer/',
    label: 'Explorer',
    blurb: 'Run the model and Score-CAM in your own browser and turn the 3D heat map around the organ it explains.',
  },
  {
    href: '/cite/',
    label: 'Cite',
    blurb: 'BibTeX and CITATION.cff for this write-up and for the original project it builds on.',
  },
];

export const SITE_TITLE = 'Visualizing 3D ResNet for Medical Image Classification With Score-CAM';
export const SITE_SHORT_TITLE = '3D Score-CAM';
