# `cmake --install build --prefix P`: the convopt CLI (P/bin), the C++ library
# (the four static libraries behind one target, convopt::convopt) with its
# headers under P/include/convopt, a CMake package (find_package(convopt)
# finds the dependencies too), libconvopt_fallback.so (for --allow-fallback
# artifacts) and the examples (P/share/convopt/examples).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

add_library(convopt_all INTERFACE)
target_link_libraries(convopt_all INTERFACE convopt_codegen convopt_passes convopt_runtime convopt_ir)
set_target_properties(convopt_all PROPERTIES EXPORT_NAME convopt)
add_library(convopt::convopt ALIAS convopt_all)

install(TARGETS convopt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# What artifacts compiled with --allow-fallback link (its header installs with codegen/).
install(TARGETS convopt_fallback LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS convopt_all convopt_codegen convopt_passes convopt_runtime convopt_ir
        EXPORT convoptTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(folder ir runtime passes codegen)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/convopt
          FILES_MATCHING PATTERN "*.h" PATTERN "*.def")
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/convopt/examples)

set(package_dir ${CMAKE_INSTALL_LIBDIR}/cmake/convopt)
install(EXPORT convoptTargets NAMESPACE convopt:: DESTINATION ${package_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/convoptConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/convoptConfig.cmake INSTALL_DESTINATION ${package_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/convoptConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/convoptConfig.cmake ${PROJECT_BINARY_DIR}/convoptConfigVersion.cmake
        DESTINATION ${package_dir})
