/** Faithfulness (deletion/insertion), localisation and classification metrics. */
export * from './deletion';
export * from './localization';
export * from './classification';
export * from './stats';
export * from './controls';
export * from './baseline';
export * from './occlusion';
export * from './sanity';
