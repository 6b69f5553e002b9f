// Internal shim over zlib (MAT-file compressed elements, PNG). Provides no stable Swift API.
#ifndef RAW2RAW_ZLIB_SHIM_H
#define RAW2RAW_ZLIB_SHIM_H
#include <zlib.h>
// deflateInit/inflateInit are macros; expose them as functions.
static inline int r2r_inflateInit(z_streamp strm) { return inflateInit(strm); }
static inline int r2r_deflateInit(z_streamp strm, int level) { return deflateInit(strm, level); }
#endif
