// Raw2RawModel module.
