# The argon2 addon (argon2-pool.c). opt.c is compiled three times, for AVX-512F, AVX2 and SSE2,
# with fill_segment renamed in each; the addon picks one when it loads, by what the CPU has.
# Elsewhere (arm64), the portable ref.c. es256-own-key.c (gatehouse_es256) checks and makes ES256 signatures of
# Gatehouse's own keys with OpenSSL as node links it; it needs a 64-bit target (__int128).
{
  "target_defaults": {
    "include_dirs": ["argon2/include", "argon2/src"],
    "cflags": ["-O3", "-fvisibility=hidden", "-Wno-type-limits", "-Wno-unused-function"],
    "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-fvisibility=hidden"] }
  },
  "conditions": [
    ["target_arch == 'x64' or target_arch == 'ia32'", {
      "targets": [
        {
          "target_name": "argon2_fill_avx512",
          "type": "static_library",
          "sources": ["argon2/src/opt.c"],
          "defines": ["fill_segment=gatehouse_fill_segment_avx512"],
          "cflags": ["-mavx512f", "-mavx2"],
          "xcode_settings": { "OTHER_CFLAGS": ["-mavx512f", "-mavx2"] }
        },
        {
          "target_name": "argon2_fill_avx2",
          "type": "static_library",
          "sources": ["argon2/src/opt.c"],
          "defines": ["fill_segment=gatehouse_fill_segment_avx2"],
          "cflags": ["-mavx2"],
          "xcode_settings": { "OTHER_CFLAGS": ["-mavx2"] }
        },
        {
          "target_name": "argon2_fill_sse2",
          "type": "static_library",
          "sources": ["argon2/src/opt.c"],
          "defines": ["fill_segment=gatehouse_fill_segment_sse2"],
          "cflags": ["-msse2"],
          "xcode_settings": { "OTHER_CFLAGS": ["-msse2"] }
        },
        {
          "target_name": "gatehouse_argon2",
          "sources": ["argon2-pool.c", "argon2/src/argon2.c", "argon2/src/core.c", "argon2/src/blake2/blake2b.c", "argon2/src/thread.c", "argon2/src/encoding.c"],
          "dependencies": ["argon2_fill_avx512", "argon2_fill_avx2", "argon2_fill_sse2"]
        }
      ]
    }, {
      "targets": [
        {
          "target_name": "gatehouse_argon2",
          "sources": ["argon2-pool.c", "argon2/src/argon2.c", "argon2/src/core.c", "argon2/src/blake2/blake2b.c", "argon2/src/thread.c", "argon2/src/encoding.c", "argon2/src/ref.c"]
        }
      ]
    }],
    ["target_arch == 'x64' or target_arch == 'arm64'", {
      "targets": [
        {
          "target_name": "gatehouse_es256",
          "sources": ["es256-own-key.c"]
        }
      ]
    }]
  ]
}
