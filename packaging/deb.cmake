# The Debian package (CPack's DEB generator): `packaging/build-deb.sh`.
# The plugin and its HTTP helper go beside Debian's other mosquitto plugins
# (the multiarch libdir, as mosquitto_dynamic_security.so), so the build
# that makes the package is configured with CMAKE_INSTALL_PREFIX=/usr.

set(OTA_STATE_DIR /var/lib/mosquitto/ota)
set(OTA_PLUGIN_PATH ${CMAKE_INSTALL_FULL_LIBDIR}/mosquitto_ota.so)
set(OTA_DATADIR ${CMAKE_INSTALL_FULL_DATADIR}/mosquitto-ota)

# The conf.d fragment, shipped disabled (mosquitto includes only *.conf).
configure_file(${CMAKE_SOURCE_DIR}/packaging/debian/ota.conf.in
  ${CMAKE_BINARY_DIR}/packaging/ota.conf.example @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/packaging/ota.conf.example
  DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/mosquitto/conf.d)
# The large-fleet systemd drop-in, to copy into
# /etc/systemd/system/mosquitto.service.d/ (docs/operations.md).
install(FILES ${CMAKE_SOURCE_DIR}/packaging/systemd/mosquitto-ota-limits.conf
  DESTINATION ${CMAKE_INSTALL_DATADIR}/mosquitto-ota/systemd)
install(FILES README.md docs/operations.md docs/configuration.md docs/ctrl.md
  docs/control-api.md docs/dialects.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/mosquitto-ota)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mosquitto-ota)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "mosquitto-ota maintainers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "firmware over-the-air upgrades inside the mosquitto broker")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "A mosquitto 2.0 plugin that reads the OTA topics devices already speak
(SagooIOT / Alibaba IoT, ThingsPanel, CTWing, Tencent IoT Explorer), keeps
devices, firmware packages, jobs and tasks in LMDB, runs campaigns and
serves firmware over HTTP(S) or MQTT. Includes mosquitto_ota_ctrl, the
command-line client, and an example /etc/mosquitto/conf.d fragment.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The broker it plugs into (plugin API v5, 2.0); the linked libraries come
# from dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "mosquitto (>= 2.0.11)")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "lmdb-utils, mosquitto-clients")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
  ${CMAKE_SOURCE_DIR}/packaging/debian/postrm
  ${CMAKE_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
