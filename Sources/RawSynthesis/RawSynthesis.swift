// RawSynthesis module.
