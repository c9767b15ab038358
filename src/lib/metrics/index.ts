/** Faithfulness (deletion/insertion), localisation and classification metrics. */
export * from './deletion';
export * from './localization';
export * from './classification';
