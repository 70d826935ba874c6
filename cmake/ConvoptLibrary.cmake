# convopt_library(NAME DIR DEPS...): a static library of every .cpp below DIR,
# except below a sub-folder with a CMakeLists.txt of its own (another target).
# Headers are included as "ir/graph.h" from the source tree, and from
# include/convopt in an installed tree (cmake/ConvoptInstall.cmake).
function(convopt_library name dir)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${dir}/*.cpp)
  file(GLOB_RECURSE own_targets CONFIGURE_DEPENDS ${dir}/*/CMakeLists.txt)
  foreach(lists ${own_targets})
    get_filename_component(folder ${lists} DIRECTORY)
    list(FILTER sources EXCLUDE REGEX "^${folder}/")
  endforeach()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
                                            $<INSTALL_INTERFACE:include> $<INSTALL_INTERFACE:include/convopt>)
  target_link_libraries(${name} PUBLIC ${ARGN})
endfunction()
