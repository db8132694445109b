"""What QGIS (python3-qgis, headless) sees of a landtrack PostGIS store.

Usage: python3 qgis_postgis_layers.py HOST DBNAME USER
Prints one JSON object: the tables QGIS's PostgreSQL provider lists with a geometry column
(name, geometry column, type, CRS) and, for each, whether the layer loads, its CRS and its
feature count. Run by landtrackTests (PostGISCommandTests).
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import QgsApplication, QgsDataSourceUri, QgsProviderRegistry, QgsVectorLayer, QgsWkbTypes  # noqa: E402

host, dbname, user = sys.argv[1:4]
app = QgsApplication([], False)
app.initQgis()
uri = QgsDataSourceUri()
uri.setConnection(host, "", dbname, user, "")
connection = QgsProviderRegistry.instance().providerMetadata("postgres").createConnection(uri.uri(False), {})
out = {"qgis": QgsApplication.instance().applicationVersion() if hasattr(QgsApplication, "applicationVersion") else "", "tables": []}
for table in connection.tables("public"):
    if not table.geometryColumnTypes():
        continue
    column = table.geometryColumn()
    layer_uri = QgsDataSourceUri(uri.uri(False))
    layer_uri.setDataSource("public", table.tableName(), column, "", table.primaryKeyColumns()[0] if table.primaryKeyColumns() else "")
    layer = QgsVectorLayer(layer_uri.uri(False), table.tableName(), "postgres")
    out["tables"].append({
        "name": table.tableName(),
        "geometry_column": column,
        "types": [QgsWkbTypes.displayString(t.wkbType) for t in table.geometryColumnTypes()],
        "crs": [t.crs.authid() for t in table.geometryColumnTypes()],
        "valid": layer.isValid(),
        "layer_crs": layer.crs().authid(),
        "features": layer.featureCount(),
    })
print(json.dumps(out, sort_keys=True))
app.exitQgis()
