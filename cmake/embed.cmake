# halld_embed(TARGET NAMESPACE FILES...) compiles the given files into a table
# `std::span<const halld::EmbeddedFile> NAMESPACE::files()` so the binary needs no data directory
# (SQL migrations, the OpenAPI document). The table is regenerated whenever a file changes.
function(halld_embed target ns)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_embedded.cpp)
  string(REPLACE ";" "|" files "${ARGN}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNS=${ns} "-DFILES=${files}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${ARGN} ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    COMMENT "Embedding files into ${target}"
    VERBATIM)
  add_library(${target} STATIC ${out})
  target_link_libraries(${target} PUBLIC halld_core)
endfunction()
