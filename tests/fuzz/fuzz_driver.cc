// A stand-in for libFuzzer's driver, so every fuzz target also runs under
// ctest with gcc: it feeds the target its seed inputs and then a fixed
// number of deterministic mutations of them (byte flips, truncations,
// splices, inserted JSON-ish tokens). Built with -DOTA_FUZZ=ON and clang,
// the targets link libFuzzer instead and this file is left out.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Each target provides its seeds.
std::vector<std::string> fuzz_seeds();

int main(int argc, char** argv) {
  std::vector<std::string> seeds = fuzz_seeds();
  for (int i = 1; i < argc; ++i) {
    FILE* f = std::fopen(argv[i], "rb");
    if (!f) continue;
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    std::fclose(f);
    seeds.push_back(s);
  }
  const char* env = std::getenv("OTA_FUZZ_ITERATIONS");
  const long iterations = env ? std::atol(env) : 20000;
  static const char* kTokens[] = {"{", "}", "[", "]", "\"", ":", ",", "null", "true", "-1",
                                  "1e999", "\\u0000", "\xff", "\"params\"", "\"step\"",
                                  "\"version\"", "\"id\"", "\"module\"", "\"type\"", "0"};
  std::mt19937_64 rng(12345);
  for (const std::string& s : seeds) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  for (long i = 0; i < iterations; ++i) {
    std::string s = seeds[rng() % seeds.size()];
    const int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      const size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
      switch (rng() % 5) {
        case 0: if (!s.empty() && at < s.size()) s[at] = static_cast<char>(rng()); break;
        case 1: s.resize(at); break;
        case 2: s.insert(at, kTokens[rng() % (sizeof kTokens / sizeof *kTokens)]); break;
        case 3: if (at < s.size()) s.erase(at, 1 + rng() % 8); break;
        case 4: s.insert(at, seeds[rng() % seeds.size()].substr(0, rng() % 64)); break;
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::printf("%zu seeds and %ld mutations ran without a crash\n", seeds.size(), iterations);
  return 0;
}
