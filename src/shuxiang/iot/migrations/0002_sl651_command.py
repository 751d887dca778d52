# SL 651 downlink commands (召测) and the "incomplete multi-packet" rejection reason.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('iot', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='rejection',
            name='reason',
            field=models.CharField(choices=[('bad_json', '报文不是合法 JSON'), ('bad_payload', '报文结构不符合要求'), ('bad_frame', 'SL 651 报文格式错误'), ('bad_crc', 'SL 651 校验码错误'), ('unknown_device', '设备未登记'), ('wrong_token', '设备令牌错误'), ('wrong_password', 'SL 651 密码错误'), ('inactive', '设备已停用'), ('bad_key', '要素名不合法'), ('not_numeric', '数值不是数字'), ('out_of_range', '数值超出传感器量程'), ('future', '时间戳晚于当前时间'), ('too_old', '时间戳早于保留期限'), ('unsupported', '不支持的报文类型'), ('incomplete', 'SL 651 多包报文不完整')], max_length=20, verbose_name='原因'),
        ),
        migrations.CreateModel(
            name='Sl651Command',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('function', models.PositiveSmallIntegerField(verbose_name='功能码')),
                ('status', models.CharField(choices=[('pending', '待发送'), ('sent', '已发送，等待应答'), ('answered', '已应答'), ('expired', '已过期')], default='pending', max_length=10, verbose_name='状态')),
                ('serial', models.PositiveIntegerField(blank=True, null=True, verbose_name='流水号')),
                ('requested_label', models.CharField(max_length=100, verbose_name='发起人')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='发起时间')),
                ('expires_at', models.DateTimeField(verbose_name='有效期至')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='发送时间')),
                ('answered_at', models.DateTimeField(blank=True, null=True, verbose_name='应答时间')),
                ('result', models.JSONField(blank=True, default=dict, verbose_name='应答内容')),
                ('detail', models.CharField(blank=True, max_length=300, verbose_name='说明')),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sl651_commands', to='iot.device', verbose_name='设备')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'SL 651 召测',
                'verbose_name_plural': 'SL 651 召测',
                'ordering': ['-created_at'],
                'indexes': [models.Index(condition=models.Q(('status__in', ['pending', 'sent'])), fields=['status'], name='iot_sl651command_open')],
            },
        ),
    ]
