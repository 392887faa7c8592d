// What lwIP takes from <stdlib.h>: atoi (netif_find). Memory comes from
// lwipopts.h's mem_clib_* hooks instead of malloc.
#pragma once
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
int atoi(const char* text);  // kernel/net/lwip/port.cpp
#ifdef __cplusplus
}
#endif
