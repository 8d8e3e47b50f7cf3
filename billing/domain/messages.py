"""Problem codes and their messages, (zh-CN, en), with `{name}` placeholders.

Every code the product can report is listed here, so that the codes are documented in one
place. Placeholders not given by the caller leave the template unformatted plus the values.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # files
    "FILE_NOT_FOUND": ("找不到文件", "file not found"),
    "FILE_UNREADABLE": ("无法读取文件：{reason}", "cannot read the file: {reason}"),
    "FILE_EMPTY": ("文件为空", "the file is empty"),
    "NO_ROWS": ("文件没有数据行", "the file has no data rows"),
    "BAD_ENCODING": (
        "无法识别文件编码（支持 UTF-8、GBK、GB18030）",
        "unknown encoding (UTF-8, GBK and GB18030 are supported)",
    ),
    "NOT_XLSX": ("不是有效的 Excel 文件：{reason}", "not a valid Excel file: {reason}"),
    "MISSING_COLUMN": ("缺少列“{column}”", "column '{column}' is missing"),
    "DUPLICATE_COLUMN": ("列“{column}”出现多次", "column '{column}' appears more than once"),
    "ALREADY_IMPORTED": (
        "此文件内容已导入过，未做任何更改",
        "this content was already imported; nothing changed",
    ),
    # values
    "MISSING_VALUE": ("“{column}”不能为空", "'{column}' is required"),
    "NOT_A_NUMBER": ("“{column}”不是数字：{value}", "'{column}' is not a number: {value}"),
    "NOT_AN_INTEGER": ("“{column}”不是整数：{value}", "'{column}' is not an integer: {value}"),
    "NOT_A_DATE": (
        "“{column}”不是日期（YYYY-MM-DD）：{value}",
        "'{column}' is not a date (YYYY-MM-DD): {value}",
    ),
    "OUT_OF_RANGE": (
        "“{column}”超出范围：{value}（应为 {expected}）",
        "'{column}' is out of range: {value} (expected {expected})",
    ),
    "TOO_MANY_DIGITS": (
        "“{column}”位数过多：{value}（整数最多 {integer} 位，小数最多 {decimals} 位）",
        "'{column}' has too many digits: {value} (at most {integer} before the point, {decimals} after)",
    ),
    "TOO_LONG": (
        "“{column}”过长：{value}（最多 {limit} 个字符）",
        "'{column}' is too long: {value} (at most {limit} characters)",
    ),
    "BAD_CHOICE": (
        "“{column}”的值“{value}”无效，应为 {expected}",
        "'{column}' has the value '{value}', expected one of {expected}",
    ),
    "DUPLICATE_KEY": (
        "“{key}”在文件中重复（第 {first} 行已出现）",
        "'{key}' appears twice in the file (first at line {first})",
    ),
    "BAD_ACCOUNT": ("银行账号应为 8–30 位数字：{value}", "a bank account is 8–30 digits: {value}"),
    "ACCOUNT_NAME_MISSING": ("有银行账号但没有户名", "a bank account without an account name"),
    "DEBIT_WITHOUT_ACCOUNT": ("签了代扣但没有银行账号", "direct debit signed but no bank account"),
    "OWNER_MISSING": ("已收楼的房号必须有业主", "a handed-over unit needs an owner"),
    "UNKNOWN_UNIT": ("房号不存在：{unit_id}", "unknown unit: {unit_id}"),
    "UNKNOWN_METER": ("表号不存在：{meter_id}", "unknown meter: {meter_id}"),
    "UNKNOWN_PARENT": ("上级表号不存在：{parent_id}", "unknown parent meter: {parent_id}"),
    "PARENT_NOT_MASTER": ("上级表 {parent_id} 不是总表", "parent meter {parent_id} is not a master meter"),
    "MASTER_HAS_PARENT": (
        "总表不能有上级表（不支持嵌套）",
        "a master meter cannot have a parent (no nesting)",
    ),
    "UTILITY_MISMATCH": ("与上级表 {parent_id} 类别不同", "utility differs from its parent {parent_id}"),
    "UNIT_METER_WITHOUT_UNIT": ("户表必须填写房号", "a unit meter needs its unit"),
    "METER_CHANGED_KIND": (
        "表 {meter_id} 已有读数，不能更改类别、范围或房号",
        "meter {meter_id} has readings; its utility, scope and unit cannot change",
    ),
    # readings
    "READING_DECREASED": (
        "读数 {reading} 小于上期读数 {previous}",
        "reading {reading} is below the previous {previous}",
    ),
    "ROLLOVER": (
        "读数 {reading} 小于上期 {previous}，按 {digits} 位表走满一圈计算，用量 {consumption}",
        "reading {reading} below previous {previous}: taken as a {digits}-digit rollover, consumption {consumption}",
    ),
    "CONSUMPTION_SPIKE": (
        "用量 {consumption} 超过近三个月平均 {average} 的 5 倍",
        "consumption {consumption} is over 5 times the trailing 3-month average {average}",
    ),
    "PERIOD_ISSUED": (
        "账期 {period} 已出账，不能再导入读数",
        "period {period} is already billed; readings are closed",
    ),
    "READING_DATE_OUTSIDE": (
        "抄表日期 {value} 不在账期 {period} 附近",
        "read date {value} is not near period {period}",
    ),
    "CHANGE_NOT_IN_OPEN_PERIOD": (
        "换表日期 {value} 所在账期已出账",
        "the change date {value} is in a billed period",
    ),
    "CHANGE_BELOW_PREVIOUS": (
        "旧表止码 {old_final} 小于上期读数 {previous}",
        "old meter's final reading {old_final} is below the previous reading {previous}",
    ),
    "READING_BELOW_NEW_INITIAL": (
        "读数 {reading} 小于新表起码 {new_initial}",
        "reading {reading} is below the new meter's initial reading {new_initial}",
    ),
    "REPLACED_READINGS": (
        "已替换账期 {period} 之前导入的 {count} 条读数",
        "replaced {count} readings imported earlier for {period}",
    ),
    # rating
    "MISSING_READING": ("表 {meter_id} 缺少 {period} 的读数", "meter {meter_id} has no reading for {period}"),
    "MASTER_BELOW_UNITS": (
        "总表 {meter_id} 用量 {master} 小于下级户表合计 {units}，本期不分摊",
        "master meter {meter_id} ({master}) is below its unit meters ({units}); nothing shared",
    ),
    "SHARED_NOT_COMPUTED": (
        "总表 {master_id} 的公摊无法计算：表 {meter_id} 的读数有误，本户本期不出账",
        "shared consumption of master meter {master_id} cannot be computed: meter {meter_id} "
        "has a reading error; this unit is not billed",
    ),
    "NO_TARIFF": ("{period} 没有生效的价格版本", "no tariff version in force for {period}"),
    "ALREADY_ISSUED": (
        "账期 {period} 已出账（{count} 张账单），本次未出任何账单",
        "period {period} is already issued ({count} bills); nothing issued",
    ),
    "UNIT_FAILED": ("计费失败：{reason}", "rating failed: {reason}"),
    "NOT_ISSUED": ("账期 {period} 尚未出账", "period {period} has no bills yet"),
    "NO_BILL": ("房号 {unit_id} 在 {period} 没有账单", "unit {unit_id} has no bill for {period}"),
    "BAD_ITEM": ("费用项目无效：{value}", "not a fee item: {value}"),
    # payments and banks
    "DUPLICATE_SLIP": ("单号 {slip_no} 已导入过", "slip {slip_no} was already imported"),
    "UNKNOWN_BANK": ("未知的银行格式：{bank}", "unknown bank layout: {bank}"),
    "UNMATCHED_RETURN": (
        "回盘记录找不到对应的扣款：{reference}",
        "return row matches no debit item: {reference}",
    ),
    "DUPLICATE_RETURN": ("回盘记录重复：{reference}", "return row appears twice: {reference}"),
    "AMOUNT_MISMATCH": ("金额 {amount} 与发送的 {sent} 不符", "amount {amount} differs from the {sent} sent"),
    "TOTAL_MISMATCH": (
        "汇总 {field} 为 {value}，明细合计为 {computed}",
        "summary {field} says {value}, the rows add up to {computed}",
    ),
    "ALREADY_RETURNED": ("扣款 {reference} 已有回盘结果", "debit item {reference} already has its result"),
    "UNENCODABLE": ("“{value}”无法用 {encoding} 编码", "'{value}' cannot be encoded in {encoding}"),
    "NOTHING_TO_DEBIT": ("没有需要代扣的房号", "no unit to debit"),
    "FIELD_TOO_LONG": (
        "“{column}”的值“{value}”超过 {width} 字节",
        "'{column}' value '{value}' is longer than {width} bytes",
    ),
    "FIELD_HAS_DELIMITER": (
        "“{column}”的值含有分隔符或换行：{value}",
        "'{column}' value holds the delimiter or a line break: {value}",
    ),
    "VALUE_CUT": (
        "“{column}”的值“{value}”超过 {width} 字节，截为“{cut}”",
        "'{column}' value '{value}' is longer than {width} bytes, cut to '{cut}'",
    ),
    "BAD_RECORD": ("记录格式不符：{reason}", "malformed record: {reason}"),
    # arrears, reports, journal
    "NOTHING_OVERDUE": ("截至 {as_of} 没有逾期欠费的房号", "no unit has an overdue balance as of {as_of}"),
    "PERIOD_NOT_ISSUED": ("账期 {period} 尚未出账", "period {period} has not been issued"),
    "NO_READINGS": ("账期 {period} 没有抄表读数", "period {period} has no meter readings"),
    "BALANCE_INCOMPLETE": (
        "总表 {meter_id}：{missing} 缺少 {period} 的读数或读数有误，未计算平衡",
        "master meter {meter_id}: {missing} has no valid reading for {period}; not balanced",
    ),
    "LOSS_RATE_HIGH": (
        "总表 {meter_id} 损耗率 {rate} 超过 {limit}",
        "master meter {meter_id} loses {rate}, over {limit}",
    ),
    "LOSS_NEGATIVE": (
        "总表 {meter_id} 用量小于下级表合计（损耗 {loss}）",
        "master meter {meter_id} is below the meters under it (loss {loss})",
    ),
    "DATE_RANGE": ("起始日期 {first} 晚于结束日期 {last}", "the first date {first} is after the last {last}"),
    "NO_RECEIPTS": ("{day} 没有收款", "no receipts on {day}"),
    "UNBALANCED_VOUCHER": (
        "凭证 {voucher} 借贷不平：借 {debit}，贷 {credit}",
        "voucher {voucher} does not balance: debit {debit}, credit {credit}",
    ),
    "BAD_DATE_FORMAT": (
        "“{column}”不是 {format} 格式的日期：{value}",
        "'{column}' is not a date in {format}: {value}",
    ),
    # notices
    "GLYPH_MISSING": (
        "通知单字体缺少字符“{chars}”，打印可能显示为方框或换用其他字体",
        "the notice font has no glyph for '{chars}'; it may print as a box or in another font",
    ),
    "RENDER_FAILED": (
        "楼栋 {building} 的通知单生成失败：{reason}",
        "the notices of building {building} could not be rendered: {reason}",
    ),
    # config
    "CONFIG": ("{key}：{expected}", "{key}: {expected}"),
    # scheduled jobs
    "JOB_FAILED": ("任务出错：{reason}", "the job failed: {reason}"),
    "JOB_ATTENTION": ("任务需要关注：{summary}", "the job needs attention: {summary}"),
    "INBOX_NO_PERIOD": (
        "读数文件名中没有账期（YYYY-MM），无法导入",
        "a readings file needs its period (YYYY-MM) in its name",
    ),
    "INBOX_NO_BANK": (
        "回盘文件应放在 inbox/returns/<银行格式>/ 下",
        "a return file belongs in inbox/returns/<bank>/",
    ),
}
