// A fuzz target's driver without libFuzzer: runs LLVMFuzzerTestOneInput once on every file named, or found in
// the folders named. ctest replays each corpus (seeds and every crash kept as a regression input) this way in the
// GCC build and the sanitizer build; tests/fuzz/run.sh links the same targets with libFuzzer instead.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const fs::path p = argv[i];
    if (!fs::is_directory(p)) {
      files.push_back(p);
      continue;
    }
    for (const auto& e : fs::recursive_directory_iterator(p))
      if (e.is_regular_file()) files.push_back(e.path());
  }
  // An empty corpus would make the replay pass without testing anything.
  if (files.empty()) {
    std::cerr << "usage: " << argv[0] << " FILE-OR-FOLDER...: no inputs found\n";
    return 2;
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::cerr << f.string() << ": cannot read\n";
      return 2;
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    // A buffer of exactly the input's size, as libFuzzer passes: reading past it is caught by ASan.
    const auto data = std::make_unique<std::uint8_t[]>(bytes.size());
    std::copy(bytes.begin(), bytes.end(), data.get());
    std::cerr << "running " << f.string() << "\n";
    LLVMFuzzerTestOneInput(data.get(), bytes.size());
  }
  std::cout << "replayed " << files.size() << " inputs\n";
  return 0;
}
