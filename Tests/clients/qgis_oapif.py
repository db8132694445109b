"""What QGIS (python3-qgis, headless) sees of `landtrack serve` and of a GeoPackage store.

Usage: python3 qgis_oapif.py BASE_URL STORE.gpkg
Adds the server's parcels collection through QGIS's OAPIF provider (as Layer › Add Layer ›
Add WFS / OGC API – Features Layer does), pages through every parcel, reads the layer again with
a property filter (a subset string, as the layer's Filter… dialog sets it), and opens the store
file with the OGR provider; prints one JSON object. (QGIS 3.22's OAPIF provider asks for CRS84
only, whatever srsname says: the crs parameter is tested with curl.) QGIS's teardown can crash
after the work is done, so the process ends with os._exit once the verdict is printed. Run by
landtrackTests.
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import QgsApplication, QgsVectorLayer  # noqa: E402

base, store = sys.argv[1:3]
app = QgsApplication([], False)
app.initQgis()
out = {}
layer = QgsVectorLayer(f"url='{base}' typename='parcels' pagingEnabled='true' pageSize='700'", "parcels", "OAPIF")
out["oapif"] = {"valid": layer.isValid(), "error": layer.error().summary() if not layer.isValid() else ""}
if layer.isValid():
    ids = [f["id"] for f in layer.getFeatures()]
    out["oapif"].update({"crs": layer.crs().authid(), "count": layer.featureCount(), "ids": ids,
                         "fields": [f.name() for f in layer.fields()]})
filtered = QgsVectorLayer(f"url='{base}' typename='parcels' pagingEnabled='true' pageSize='700'", "wasteland", "OAPIF")
filtered.setSubsetString("\"state\" = 'wasteland' AND \"basic_farmland\" = false")
out["filtered"] = {"valid": filtered.isValid(), "ids": [f["id"] for f in filtered.getFeatures()] if filtered.isValid() else []}
direct = QgsVectorLayer(f"{store}|layername=parcels", "store", "ogr")
out["file"] = {"valid": direct.isValid(), "crs": direct.crs().authid(), "count": direct.featureCount()}
print(json.dumps(out, sort_keys=True))
sys.stdout.flush()
os._exit(0)
