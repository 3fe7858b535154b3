/* A host that returns from main() with two live clients while messages flow,
 * never calling tether_client_destroy(): tether.h says such clients are
 * stopped at exit. A handler this program registers before creating them
 * runs after Tether's, as a C++ host's static destructor would, and calls
 * destroy and pump on the handles: both must find them invalid (on Windows
 * tether.dll stops its clients later, when it detaches: they are live).
 *
 *   exit_with_live_clients URL TOKEN
 *
 * Prints "exiting with 2 live clients" once both are READY and sending, and
 * "after exit: pump=<result>" from its handler. tests/capi/test_exit.cpp
 * runs it again and again; under ASan+UBSan any use of state that exit has
 * torn down fails it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tether/tether.h"

static tether_client* threaded_client = NULL;
static tether_client* pumped_client = NULL;

static void after_tether_exit_handler(void) {
  int32_t pumped;
  tether_client_destroy(threaded_client); /* a no-op by now */
  pumped = tether_client_pump(pumped_client);
  printf("after exit: pump=%d\n", (int)pumped);
  fflush(stdout);
}

static int is_ready(tether_client* client, int* ready) {
  int32_t count = tether_client_pump(client);
  int32_t i;
  for (i = 0; i < count; ++i) {
    const tether_event* event = tether_client_event(client, (uint32_t)i);
    if (event != NULL && event->type == TETHER_EVENT_STATE_CHANGED && event->state == TETHER_STATE_READY) *ready = 1;
  }
  return *ready;
}

static tether_client* create(const char* url, const char* token, tether_io_mode mode) {
  tether_config config;
  tether_client* client = NULL;
  tether_config_init(&config);
  config.url = url;
  config.token = token;
  config.io_mode = mode;
  if (tether_client_create(&config, &client) != TETHER_OK) return NULL;
  tether_client_subscribe(client, "room:exit");
  tether_client_connect(client);
  return client;
}

int main(int argc, char** argv) {
  int threaded_ready = 0, pumped_ready = 0, i;
  const time_t deadline = time(NULL) + 20;
  char json[32];
  if (argc != 3) {
    fprintf(stderr, "usage: %s URL TOKEN\n", argv[0]);
    return 2;
  }
  atexit(after_tether_exit_handler); /* before any create: it runs after Tether's */
  threaded_client = create(argv[1], argv[2], TETHER_IO_THREAD);
  pumped_client = create(argv[1], argv[2], TETHER_IO_PUMP);
  if (threaded_client == NULL || pumped_client == NULL) {
    fprintf(stderr, "create failed: %s\n", tether_client_last_error(NULL));
    return 3;
  }
  for (;;) {
    is_ready(threaded_client, &threaded_ready); /* both pumped every round */
    is_ready(pumped_client, &pumped_ready);
    if (threaded_ready && pumped_ready) break;
    if (time(NULL) > deadline) {
      fprintf(stderr, "not READY in time\n");
      return 4;
    }
  }
  /* Traffic both ways at the moment of exit: the server fans these out to
   * both clients, so the io thread is reading and writing as main returns. */
  for (i = 0; i < 2000; ++i) {
    const int length = sprintf(json, "{\"n\":%d}", i);
    tether_client_send(threaded_client, "room:exit", json, (size_t)length, i % 10 == 0 ? TETHER_SEND_RELIABLE : 0,
                       NULL);
    if (i % 100 == 0) tether_client_pump(pumped_client);
  }
  printf("exiting with 2 live clients\n");
  fflush(stdout);
  return 0;
}
