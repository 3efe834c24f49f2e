"""What every step shares: configuration, paths, logging, the exception root, prices."""
