/**
 * The shipped model's name: its folder under public/models, the name of the training run that
 * makes it (runs/<name>), and the explorer's default. Renaming the model is a change here only.
 */
export const SHIPPED_MODEL = 'resnet10-phantom64';
export const SHIPPED_MODEL_DIR = `public/models/${SHIPPED_MODEL}`;
