/** Out-of-distribution score of the model's predictions: see calibration.ts (the test) and score.ts (one prediction). */
export { OOD_FILE, OOD_FALSE_ALARM_RATE, OOD_VERSION, energy, fitOod, oodSummary, parseOodCalibration, type FlagRates, type OodCalibration, type OodSplitData, type OodSummary } from './calibration';
export { OOD_VERDICT, describeOod, prepareOod, scoreOod, type OodReason, type OodResult, type PreparedOod } from './score';
export { featuresAndLogits, headLogits, poolMaps, scoreVolumeOod, splitOodData, volumeFeatures, FEATURE_STAGE } from './features';
export { intensityStats, INTENSITY_NAMES, type IntensityStats } from './intensity';
