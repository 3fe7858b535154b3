#define _POSIX_C_SOURCE 200809L
#include "platform.h"

#include <stdio.h>

#ifdef _WIN32
#include <conio.h>
#include <windows.h>

int64_t platform_now_ms(void) { return (int64_t)GetTickCount64(); }
void platform_sleep_ms(int ms) { Sleep((DWORD)ms); }
int platform_stdin_line(char* line, size_t size) {
  if (!_kbhit()) return 0;
  return fgets(line, (int)size, stdin) != NULL;
}
#else
#include <poll.h>
#include <time.h>
#include <unistd.h>

int64_t platform_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void platform_sleep_ms(int ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

int platform_stdin_line(char* line, size_t size) {
  struct pollfd fd;
  fd.fd = STDIN_FILENO;
  fd.events = POLLIN;
  fd.revents = 0;
  if (poll(&fd, 1, 0) <= 0 || !(fd.revents & (POLLIN | POLLHUP))) return 0;
  return fgets(line, (int)size, stdin) != NULL;
}
#endif
