#pragma once
// A loopback address nothing listens on, for tests of failed connects.
#include <string>

namespace tether::test_support {

// ws://127.0.0.1:PORT with a port that was bound, then closed: a connect
// there is refused at once. Empty if no port could be bound.
std::string dead_url();

}  // namespace tether::test_support
