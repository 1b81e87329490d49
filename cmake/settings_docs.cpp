// Build-time tool: writes the man page (its OPTIONS from the settings table into cmake/liveproxy.1.in) and the
// liveproxy.json schema, for `cmake --install` and the Debian package.
// usage: settings_docs MAN_TEMPLATE MAN_OUT SCHEMA_OUT
#include "proxy/settings/settings_docs.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: settings_docs MAN_TEMPLATE MAN_OUT SCHEMA_OUT\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::string man((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = man.find("@OPTIONS@");
  if (!in || at == std::string::npos) {
    std::cerr << "settings_docs: " << argv[1] << " has no @OPTIONS@\n";
    return 1;
  }
  man.replace(at, 9, liveproxy::man_page_options());
  std::ofstream(argv[2]) << man;
  std::ofstream(argv[3]) << liveproxy::settings_schema_json();
  return 0;
}
