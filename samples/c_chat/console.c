#ifndef _WIN32
#define _POSIX_C_SOURCE 200112L /* poll, nanosleep */
#endif

#include "console.h"

#ifdef _WIN32
#include <windows.h>

int console_input_ready(int timeout_ms) {
  return WaitForSingleObject(GetStdHandle(STD_INPUT_HANDLE), (DWORD)timeout_ms) == WAIT_OBJECT_0;
}

void console_sleep_ms(int milliseconds) { Sleep((DWORD)milliseconds); }

#else
#include <poll.h>
#include <time.h>

int console_input_ready(int timeout_ms) {
  struct pollfd input;
  input.fd = 0;
  input.events = POLLIN;
  input.revents = 0;
  return poll(&input, 1, timeout_ms) > 0;
}

void console_sleep_ms(int milliseconds) {
  struct timespec wait;
  wait.tv_sec = milliseconds / 1000;
  wait.tv_nsec = (long)(milliseconds % 1000) * 1000000L;
  nanosleep(&wait, NULL);
}
#endif
