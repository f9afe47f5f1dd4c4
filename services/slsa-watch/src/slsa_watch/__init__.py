"""SLSA watch: provenance verification, the SLSA map and hermetic runner capacity."""
