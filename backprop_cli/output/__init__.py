"""Everything a person or a program reads: JSON reports and --get, Rich tables, worked
solutions (worked/), pictures (diagram/). Rich and matplotlib are imported only inside
the modules that draw with them, never here, so JSON and --get stay fast."""
