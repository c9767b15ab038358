/** Faithfulness (deletion/insertion) and localisation metrics for CAMs. */
export * from './deletion';
export * from './localization';
