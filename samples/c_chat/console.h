/* The two things c_chat needs from the OS that C99 lacks: waiting for a
 * line on stdin with a timeout, and sleeping until the next frame. */
#ifndef C_CHAT_CONSOLE_H
#define C_CHAT_CONSOLE_H

/* 1 if stdin has input (or EOF) within timeout_ms, else 0. */
int console_input_ready(int timeout_ms);

void console_sleep_ms(int milliseconds);

#endif
