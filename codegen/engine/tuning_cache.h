// Measured choices kept between processes (engine/winograd_tuning.h,
// conv_variant_tuning.h) and the host's peaks: one
// JSON file, safe to delete, in the user's cache folder — $CONVOPT_CACHE_DIR,
// else $XDG_CACHE_HOME/convopt, else $HOME/.cache/convopt. A measurement holds
// for one machine, one target and one thread count: entries are keyed by the
// host's triple, CPU name and a hash of its features, the target CPU and the
// thread count, so a copied home folder or a changed VM measures afresh.
//   {"version": 1, "hosts": {"x86_64-pc-linux-gnu znver5 features-<hash> for host, 2 thread(s)":
//                             {"winograd": {"n1_conv3x3_..._p1_1_1_1": 4, ...},
//                              "variants": {"n1_conv1x1_..._p0_0_0_0": "one-sweep", ...},
//                              "peaks": {"fma_gflops": 222.0, "copy_gbps": 29.5}}}}
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "codegen/engine/target.h"

namespace convopt::codegen {

// Empty when none of the three variables says where.
std::filesystem::path tuningCachePath();
// `cpu`: the engine's --cpu ("" for the host).
std::string tuningHostKey(const std::string& cpu, int threads);

// The layer tiles measured for `hostKey`; none when the file is missing or
// unreadable (a damaged cache is measured afresh, never an error).
std::map<std::string, int> loadWinogradTiles(const std::filesystem::path& file, const std::string& hostKey);
// Merges `tiles` into the file's entry for `hostKey` (another process storing
// at the same time waits on a lock), written atomically; InputError when the
// folder cannot be written.
void storeWinogradTiles(const std::filesystem::path& file, const std::string& hostKey,
                        const std::map<std::string, int>& tiles);
// The same for the direct conv variants measured (engine/conv_variant_tuning.h).
std::map<std::string, ConvVariant> loadConvVariants(const std::filesystem::path& file, const std::string& hostKey);
void storeConvVariants(const std::filesystem::path& file, const std::string& hostKey,
                       const std::map<std::string, ConvVariant>& variants);

// What `bench --profile` and `--roofline` divide rates by: the host's FMA peak
// and copy bandwidth at one thread count, measured once (about 0.2 s) and kept
// beside the tuning (hostKey's "peaks"); delete the file to measure again.
struct HostPeaks {
  double fmaGflops = 0, copyGbps = 0;
};
std::optional<HostPeaks> loadHostPeaks(const std::filesystem::path& file, const std::string& hostKey);
// InputError when the folder cannot be written.
void storeHostPeaks(const std::filesystem::path& file, const std::string& hostKey, const HostPeaks& peaks);

// Without a measurement of its own, a machine takes the choices measured on a
// CPU of its family and checked in (codegen/engine/tuning_defaults.json, the
// cache's format keyed by "<LLVM CPU name>, N thread(s)", embedded at build
// time; scripts/dev/tuning_defaults.py merges a tuning.json into it).
// The key of code for the CPU LLVM names `cpuName` (Target::cpu: the host's,
// or the one --cpu names) run at `threads`.
std::string tuningFamilyKey(const std::string& cpuName, int threads);
std::map<std::string, int> defaultWinogradTiles(const std::string& familyKey);
std::map<std::string, ConvVariant> defaultConvVariants(const std::string& familyKey);

}  // namespace convopt::codegen
