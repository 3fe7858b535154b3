// tether-server: the Tether server as a process (see server/process.h).
#include "server/process.h"

int main(int argc, char** argv) { return tether::server::server_main(argc, argv, nullptr, "tether-server"); }
