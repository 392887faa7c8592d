// The C string functions lwIP uses, as the kernel provides them
// (kernel/lib/string.cpp). lwIP is built without the C library's headers.
#pragma once
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
void* memcpy(void* __restrict destination, const void* __restrict source, size_t count);
void* memmove(void* destination, const void* source, size_t count);
void* memset(void* destination, int value, size_t count);
int memcmp(const void* left, const void* right, size_t count);
size_t strlen(const char* string);
int strncmp(const char* left, const char* right, size_t count);  // kernel/net/lwip/port.cpp
#ifdef __cplusplus
}
#endif
