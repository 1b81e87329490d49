// Finding who holds a listening socket, on a real socket of this process.
#include "proxy/app/listening_sockets.hpp"
#include "proxy/base/net.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace liveproxy;

TEST_CASE("the owner of a listening socket is found from /proc", "[unit][net]") {
  net::io_context io;
  tcp_acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  const auto inodes = listening_inodes(port);
  REQUIRE(inodes.size() == 1);
  CHECK(socket_owners(inodes).count(::getpid()) == 1);
  CHECK(process_alive(::getpid()));
  acceptor.close();
  CHECK(listening_inodes(port).empty());
}
