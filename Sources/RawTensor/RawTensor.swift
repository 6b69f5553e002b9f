// RawTensor module.
