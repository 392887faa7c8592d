// lwIP's compiler and platform port (lwip/arch.h): Akuma's kernel is a
// freestanding little-endian AArch64 C/C++ program. lwIP's diagnostics are
// compiled out; its assertions stop the kernel with a panic that names the
// file and line (kernel/net/lwip/port.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_UNISTD_H 1

// printf formats (only used by LWIP_DEBUG output, which is off).
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

typedef long ssize_t;
#define SSIZE_MAX __LONG_MAX__

#ifdef __cplusplus
extern "C" {
#endif
void akuma_lwip_assert(const char* message, const char* file, int line) __attribute__((noreturn));
uint32_t akuma_lwip_rand(void);
#ifdef __cplusplus
}
#endif

#define LWIP_PLATFORM_DIAG(x) \
    do {                      \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x) akuma_lwip_assert((x), __FILE__, __LINE__)
#define LWIP_RAND() akuma_lwip_rand()
