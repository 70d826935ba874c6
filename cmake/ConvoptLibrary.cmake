# convopt_library(NAME DIR DEPS...): a static library of every .cpp below DIR.
# Headers are included as "ir/graph.h" from the source tree, and from
# include/convopt in an installed tree (cmake/ConvoptInstall.cmake).
function(convopt_library name dir)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${dir}/*.cpp)
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
                                            $<INSTALL_INTERFACE:include> $<INSTALL_INTERFACE:include/convopt>)
  target_link_libraries(${name} PUBLIC ${ARGN})
endfunction()
