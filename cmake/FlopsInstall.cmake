# Install rules and the package config (docs/CLI.md, "Install and
# find_package(FlopsMLIR)"): tools in bin/, libraries (the static archives
# of the dialect, passes and driver; the runtime libraries; the plugin) in
# lib/ — flops-compile finds its archives in ../lib —, the headers (source
# and generated) in include/, and lib/cmake/FlopsMLIR/FlopsMLIRConfig.cmake
# with the exported targets (namespace FlopsMLIR::). A consumer runs
#   find_package(FlopsMLIR REQUIRED CONFIG)   # finds MLIR itself
#   target_link_libraries(app PRIVATE FlopsMLIR::FlopsDriver)
include(CMakePackageConfigHelpers)

set(FLOPS_EXPORTED_LIBS
  FlopsDialect FlopsEstimatorRules FlopsTransforms FlopsToLinalg FlopsCodegen
  FlopsPipelines FlopsDriver FlopsCAPI FlopsRuntime FlopsIO FlopsTrainLoop
  FlopsRuntimeStatic FlopsIOStatic FlopsCompiledMain FlopsCompiledSupport)
install(TARGETS ${FLOPS_EXPORTED_LIBS} EXPORT FlopsMLIRTargets
  LIBRARY DESTINATION lib ARCHIVE DESTINATION lib RUNTIME DESTINATION bin)
install(TARGETS FlopsPlugin FlopsCudaRuntime FlopsCudaRuntimeStatic
  LIBRARY DESTINATION lib ARCHIVE DESTINATION lib)
set(FLOPS_INSTALLED_TOOLS flops-opt flops-train flops-run flops-compile
  flops-lift-params flops-gpu-info)
if(FLOPS_HAVE_ONNX)
  list(APPEND FLOPS_INSTALLED_TOOLS flops-import-onnx)
endif()
install(TARGETS ${FLOPS_INSTALLED_TOOLS} RUNTIME DESTINATION bin)
# Installed tools and libraries find the project's shared libraries in
# ../lib.
set_target_properties(${FLOPS_INSTALLED_TOOLS} PROPERTIES
  INSTALL_RPATH "$ORIGIN/../lib;${LLVM_LIBRARY_DIR}")
set_target_properties(FlopsIO FlopsPlugin PROPERTIES
  INSTALL_RPATH "$ORIGIN;${LLVM_LIBRARY_DIR}")

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/flops ${PROJECT_SOURCE_DIR}/include/flops-c
                  ${PROJECT_SOURCE_DIR}/runtime/include/flops
                  ${PROJECT_BINARY_DIR}/include/flops
  DESTINATION include
  FILES_MATCHING PATTERN "*.h" PATTERN "*.inc" PATTERN "*.td")

install(EXPORT FlopsMLIRTargets NAMESPACE FlopsMLIR::
  DESTINATION lib/cmake/FlopsMLIR)
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/FlopsMLIRConfig.cmake.in
  ${PROJECT_BINARY_DIR}/FlopsMLIRConfig.cmake
  INSTALL_DESTINATION lib/cmake/FlopsMLIR)
install(FILES ${PROJECT_BINARY_DIR}/FlopsMLIRConfig.cmake
  DESTINATION lib/cmake/FlopsMLIR)
