"""One modem: serial port, AT session, driver, vendor quirks, and the virtual modem."""
