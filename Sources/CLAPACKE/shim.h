// Internal shim over LAPACKE. Provides no stable Swift API.
// `lapack_int` is a macro (int): Swift sees Int32.
#ifndef RAW2RAW_LAPACKE_SHIM_H
#define RAW2RAW_LAPACKE_SHIM_H
#include <lapacke.h>
#endif
