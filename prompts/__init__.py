"""The prompt files, one folder per stage (`<stage>/vN.md`): data, shipped with the package."""
