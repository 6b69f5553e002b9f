// Internal shim over OpenBLAS CBLAS. Provides no stable Swift API.
#ifndef RAW2RAW_CBLAS_SHIM_H
#define RAW2RAW_CBLAS_SHIM_H
#include <cblas.h>
// OpenBLAS extensions (declared in OpenBLAS's cblas.h; repeated for clarity).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
