# ASan + UBSan for the `make test` build; every target compiled after this sees the flags.
if(L7_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(L7_FUZZ)
  # Coverage instrumentation for every library; the fuzz targets add -fsanitize=fuzzer at link.
  # -fno-sanitize=function: clang 14 cannot compile coroutines with it (llvm-project#49689).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
