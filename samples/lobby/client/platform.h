/* The few OS services the lobby client needs: a clock, a sleep, and a
 * non-blocking line from the terminal. The library itself needs none. */
#ifndef TETHER_LOBBY_PLATFORM_H
#define TETHER_LOBBY_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

int64_t platform_now_ms(void);
void platform_sleep_ms(int ms);
/* Copies one complete line from stdin into `line` if one is ready; never blocks. */
int platform_stdin_line(char* line, size_t size);

#endif
