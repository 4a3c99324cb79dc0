#ifndef ATTNBENCH_COPENBLAS_SHIM_H
#define ATTNBENCH_COPENBLAS_SHIM_H
// Debian's libopenblas-dev installs cblas.h under the multiarch include directory,
// which clang searches by default. openblas_config.h declares the openblas_* extras.
#include <cblas.h>
#endif
