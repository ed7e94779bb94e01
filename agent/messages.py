"""Words for staff: Simplified Chinese by default, English with ``--lang en``.

Keys are stable reason codes (the validators' ``field.reason``, the hub's rejection codes,
the agent's own); a message missing here falls back to the English text that came with it.
"""

from __future__ import annotations

ZH: dict[str, str] = {
    # validators (field.reason)
    "id_number.length": "身份证号码应为18位（或旧版15位）",
    "id_number.format": "身份证号码格式不对：前17位应为数字，最后一位为数字或X",
    "id_number.checksum": "身份证号码校验位不对，可能有一位数字输错了",
    "id_number.birth_date": "身份证号码中的出生日期不存在或在未来",
    "id_number.type": "请填写身份证号码",
    "phone.format": "手机号码应为以1开头的11位数字",
    "phone.country": "请填写中国大陆手机号码",
    "phone.range": "这个手机号码段不存在，请核对",
    "phone.type": "请填写手机号码",
    "tracking_number.checksum": "邮件号校验位不对，请核对",
    "tracking_number.format": "邮件号格式不对（如 EA123456785CN）",
    "credit_code.checksum": "统一社会信用代码校验位不对",
    "credit_code.format": "统一社会信用代码含有不使用的字符",
    "credit_code.length": "统一社会信用代码应为18位",
    # capture
    "item.unknown": "事项目录中没有这个事项：{item}",
    "item.outlet_kind": "本网点不能受理“{name}”",
    "material.unknown": "“{name}”不需要材料 {material}",
    "material.missing": "缺少必需材料：{material_name}（可补交的材料可选择“容缺承诺”）",
    "material.not_promisable": "“{material_name}”不能容缺后补，须当场提交",
    "material.file": "材料文件读不到：{path}",
    "material.format": "--material 的写法是 材料代码=文件，例如 ID-CARD=scan.jpg（收到：{path}）",
    "delivery.not_mailable": "“{name}”的结果不能邮寄，请选择网点领取",
    "delivery.address": "请填写完整的邮寄地址",
    "name.empty": "请填写申请人姓名",
    "region.format": "地区代码应为6位数字",
    "not_enrolled": "本机还没有注册到中心，请先运行 daiban-agent enroll",
    "application.unknown": "找不到这件申请：{key}",
    "application.not_known_to_hub": "中心还没有确认这件申请，请先同步",
    "supplement.not_requested": "中心没有要求补正这件申请",
    "pickup.proxy_name": "代领时请填写代领人姓名",
    "proxy_id_number.length": "代领人身份证号码应为18位（或旧版15位）",
    "proxy_id_number.format": "代领人身份证号码格式不对：前17位应为数字，最后一位为数字或X",
    "proxy_id_number.checksum": "代领人身份证号码校验位不对，可能有一位数字输错了",
    "proxy_id_number.birth_date": "代领人身份证号码中的出生日期不存在或在未来",
    "proxy_id_number.type": "请填写代领人身份证号码",
    "pickup.not_ready": "这件申请的结果还不能领取（当前状态：{status}）",
    "rating.too_early": "结果送达或领取后才能评价（当前状态：{status}）",
    "rating.level": "评价等级应为：非常满意、满意、基本满意、不满意、非常不满意",
    "enroll.enrol_code_unknown": "中心不认识这个注册码，请核对后重新输入",
    "enroll.enrol_code_used": "这个注册码已经用过了，请向中心管理员索取新的注册码",
    "enroll.enrol_code_expired": "这个注册码已过期，请向中心管理员索取新的注册码",
    "enroll.key_enrolled": "本机的密钥已经注册过了",
    "enroll.offline": "连不上中心（{reason}）；请检查网络和中心地址后重试",
    "enroll.outlet_change": "本机还有 {count} 条未同步的记录属于网点 {outlet}，请先同步再换网点",
    "queued": "已保存，等待同步（{id}）",
    # staff
    "staff.added": "已添加工作人员 {who}（{name}，{role}）",
    "staff.disabled": "已停用工作人员 {who}",
    "staff.code": "工作人员代码只能用字母、数字和 . _ -（收到：{who}）",
    "staff.name": "请填写姓名（1到100个字）",
    "staff.role": "角色应为 clerk（窗口人员）或 runner（代办员）",
    "staff.pin": "PIN 应为4到8位数字",
    "staff.exists": "工作人员 {who} 已经存在",
    "staff.unknown": "没有工作人员 {who}",
    "serve.listen": "无法在 {host}:{port} 上提供页面（端口被占用或地址不对）",
    # sync
    "sync.done": "同步完成：上传 {pushed} 条，下载 {pulled} 条，扫描件 {uploaded} 个",
    "sync.offline": "连不上中心（{reason}）；数据已保存在本机，联网后会自动同步",
    "sync.revoked": (
        "中心已停用本设备，不能再同步；本机上未同步的记录都还在。"
        "请联系中心管理员（中心说明：{reason}）"
    ),
    "sync.refused": "中心拒绝了请求：{reason}",
    "sync.busy": "另一个同步正在进行，请稍后",
    "sync.attention": "有 {count} 件需要处理（被退回或要求补正），请用 daiban-agent status 查看",
}

EN: dict[str, str] = {
    "queued": "saved, waiting to sync ({id})",
    "sync.done": "synced: {pushed} records sent, {pulled} received, {uploaded} scans uploaded",
    "sync.offline": "hub unreachable ({reason}); everything is kept here and will sync later",
    "sync.revoked": (
        "the hub has revoked this device, so it can no longer sync; unsynced records stay on "
        "this computer. Contact the hub operator (the hub says: {reason})"
    ),
    "sync.refused": "the hub refused the request: {reason}",
    "sync.busy": "another sync round is running; try again shortly",
    "sync.attention": "{count} item(s) need attention (refused or supplement asked): see status",
    "not_enrolled": "this device is not enrolled yet: run daiban-agent enroll",
    "application.unknown": "no application {key}",
    "application.not_known_to_hub": "the hub has not confirmed this application yet: sync first",
    "enroll.offline": "cannot reach the hub ({reason}); check the network and the hub address",
    "enroll.outlet_change": "{count} unsynced records belong to outlet {outlet}: sync them first",
}


def text(code: str, lang: str, default: str = "", **params: object) -> str:
    """The message for ``code`` in ``lang`` ('zh' or 'en'), with ``params`` filled in."""
    table = ZH if lang == "zh" else EN
    template = table.get(code) or (EN.get(code) if lang == "zh" and not default else None)
    if template is None:
        return default or code
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
