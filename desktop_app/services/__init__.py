"""Services: compositions of feeds, processing and database used by the CLI and the GUI."""
