// The value types every module shares (images, CFA patterns, levels, the seeded generator,
// the compute configuration) live in RawCore; importing this module makes them visible too.
@_exported import RawCore
