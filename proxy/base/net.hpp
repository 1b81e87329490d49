// Namespace aliases and the default completion token: every co_await returns error codes, never throws.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace liveproxy {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

/// Completion token for coroutines: `auto [ec, n] = co_await s.async_read_some(buf, use_tuple);`
inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

template <typename T = void>
using awaitable = net::awaitable<T>;

using tcp_socket = tcp::socket;
using tcp_acceptor = tcp::acceptor;
using steady_timer = net::steady_timer;

}  // namespace liveproxy
