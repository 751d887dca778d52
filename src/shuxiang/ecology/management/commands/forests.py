"""`shuxiang forests FILE`: load the forestry bureau's stand (小班) file into the forest layer (GeoJSON,
zipped Shapefile or GeoPackage). All or nothing; stands are updated by their code, and a stand of a
covered township that the file no longer holds is retired."""

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.importers import import_file
from shuxiang.core.models import Place
from shuxiang.ecology import forests


class Command(BaseCommand):
    help = "导入林地小班图层（GeoJSON、打包的 Shapefile 或 GeoPackage）：按小班编号更新，所涉乡镇文件中没有的小班停用"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--crs", help="文件缺少坐标系说明时指定，例如 EPSG:4525")
        parser.add_argument("--place", help="文件没有村或乡镇代码字段时，所有小班所属的乡镇或村的区划代码")

    def handle(self, *args, file, crs=None, place=None, **opts):
        target = None
        if place:
            target = Place.objects.filter(code=place.strip()).first()
            if target is None:
                raise CommandError(f"区划代码 {place} 不存在")
        with origin("cli"):
            result = import_file(
                file,
                lambda _content, _name: forests.do_import_forests(
                    file, actor=OPERATOR, crs=crs, place=target
                ),
            )
        record = result.record
        unit = f"；申报面积单位：{record.area_unit}" if record.area_unit else ""
        self.stdout.write(
            f"林地图层第{record.version}版已导入：新增 {result.added} 个小班，变更 {result.changed} 个，"
            f"未变 {result.unchanged} 个，停用 {result.retired} 个（原坐标系：{result.crs}{unit}；"
            f"乡镇：{'、'.join(record.townships)}）"
        )
