// Calibration module.
