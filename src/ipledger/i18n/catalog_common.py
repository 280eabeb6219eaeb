"""Words shared by every report: key -> {"en": ..., "zh-CN": ...}."""

MESSAGES: dict[str, dict[str, str]] = {
    "asset": {"en": "Asset", "zh-CN": "资产"},
    "registry_number": {"en": "Registry number", "zh-CN": "登记号"},
    "title": {"en": "Title", "zh-CN": "名称"},
    "kind": {"en": "Kind", "zh-CN": "类型"},
    "jurisdiction": {"en": "Jurisdiction", "zh-CN": "法域"},
    "class_code": {"en": "Class", "zh-CN": "分类号"},
    "owner": {"en": "Owner", "zh-CN": "权利人"},
    "status": {"en": "Status", "zh-CN": "状态"},
    "asset_id": {"en": "Asset id (on chain)", "zh-CN": "链上资产标识"},
    "generated": {"en": "Generated", "zh-CN": "生成时间"},
    "report_hash": {"en": "Report hash", "zh-CN": "报告哈希"},
}
