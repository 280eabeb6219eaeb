"""What each kind of audit finding means, by its code: key ``audit.finding.<code>``.

A finding's own message names the row, block or file in the words of the check that made it
(English, with hashes and numbers); reports in another language show this explanation of its
kind above it, so a reader who does not read English knows what was found and how serious it is.
"""

MESSAGES: dict[str, dict[str, str]] = {
    # rows: the store against the chain's logs
    "audit.finding.inserted": {
        "en": "A row in the store has no event on chain: it was inserted into the index.",
        "zh-CN": "索引库中的记录在链上没有对应事件：该记录是被插入的。",
    },
    "audit.finding.deleted": {
        "en": "An event on chain is missing from the store: the row was deleted from the index.",
        "zh-CN": "链上事件在索引库中缺失：该记录已从索引中删除。",
    },
    "audit.finding.edited": {
        "en": "A row in the store differs from the event on chain: it was edited.",
        "zh-CN": "索引库中的记录与链上事件不一致：该记录已被篡改。",
    },
    "audit.finding.foreign": {
        "en": "A row comes from a contract other than the contracts of record.",
        "zh-CN": "该记录来自非登记在案的合约。",
    },
    "audit.finding.block_hash": {
        "en": "A block the store indexed is no longer the chain's block: the chain was reorganised or "
        "rewritten, or the store was edited.",
        "zh-CN": "索引库记录的区块已不是链上的区块：链发生了重组或被改写，或索引库被篡改。",
    },
    "audit.finding.block_missing": {
        "en": "A row's block is not in the store's block table.",
        "zh-CN": "该记录所在的区块不在索引库的区块表中。",
    },
    # accumulators and completeness
    "audit.finding.accumulator": {
        "en": "The running hash recomputed from the events differs from the contract's: the history "
        "served is not the one the contract committed to.",
        "zh-CN": "由事件重新计算的累积哈希与合约中的不一致：所提供的历史并非合约所确认的历史。",
    },
    "audit.finding.count": {
        "en": "The store holds a different number of records than the contract counts.",
        "zh-CN": "索引库中的记录数与合约计数不一致。",
    },
    "audit.finding.sequence": {
        "en": "Record numbers in the logs are not consecutive: the logs are incomplete or out of order.",
        "zh-CN": "日志中的记录编号不连续：日志不完整或顺序错误。",
    },
    "audit.finding.unreadable": {
        "en": "The chain or a contract could not be read at this point.",
        "zh-CN": "此处无法读取区块链或合约。",
    },
    "audit.finding.unindexed": {
        "en": "The chain has events the store has not indexed yet (run `ipledger sync`).",
        "zh-CN": "链上有尚未编入索引的事件（请运行 `ipledger sync`）。",
    },
    "audit.finding.incomplete": {
        "en": "The store holds fewer records than the contract counts: the index is behind the chain "
        "or rows were removed with the checkpoint.",
        "zh-CN": "索引库中的记录少于合约计数：索引落后于链，或记录连同检查点一并被删除。",
    },
    "audit.finding.contracts": {
        "en": "The audited contracts are not the witnessed ones.",
        "zh-CN": "被审计的合约不是见证文件中记录的合约。",
    },
    "audit.finding.skipped": {
        "en": "This part of the check was not run (see the message).",
        "zh-CN": "该项检查的这一部分未执行（见说明）。",
    },
    "audit.finding.sampled": {
        "en": "Only a sample was compared with the contract (see the message).",
        "zh-CN": "仅抽样与合约进行了比对（见说明）。",
    },
    # roles and senders
    "audit.finding.no_role": {
        "en": "The account that wrote the row did not hold the role it needed at that block.",
        "zh-CN": "写入该记录的账户在该区块时并不具有所需的角色权限。",
    },
    "audit.finding.no_tx": {
        "en": "The transaction the row names is not on chain.",
        "zh-CN": "该记录所指的交易不在链上。",
    },
    "audit.finding.membership": {
        "en": "Role membership rebuilt from the role logs differs from the contract's.",
        "zh-CN": "由角色日志重建的角色成员与合约中的不一致。",
    },
    "audit.finding.sender": {
        "en": "The account named does not match the transaction's sender.",
        "zh-CN": "记录中的账户与交易的实际发送方不一致。",
    },
    # links between records
    "audit.finding.dangling": {
        "en": "A record refers to a record that is not in the ledger.",
        "zh-CN": "该记录引用了账本中不存在的记录。",
    },
    "audit.finding.other_asset": {
        "en": "A record refers to a record of another asset.",
        "zh-CN": "该记录引用了另一项资产的记录。",
    },
    "audit.finding.kind": {
        "en": "A record refers to a record of the wrong kind.",
        "zh-CN": "该记录引用了类型不符的记录。",
    },
    "audit.finding.forward": {
        "en": "A record refers to a later record.",
        "zh-CN": "该记录引用了其后才产生的记录。",
    },
    "audit.finding.twice": {
        "en": "A record voids, amends or releases a record that was already voided, amended or released.",
        "zh-CN": "该记录作废、修改或解除的对象此前已被作废、修改或解除。",
    },
    "audit.finding.cycle": {
        "en": "Records refer to each other in a loop.",
        "zh-CN": "记录之间存在循环引用。",
    },
    "audit.finding.unregistered": {
        "en": "A record is for an asset that was never registered.",
        "zh-CN": "该记录所涉资产从未登记。",
    },
    "audit.finding.owner": {
        "en": "The owner the ledger rows give differs from the contract's.",
        "zh-CN": "由账本记录推算的权利人与合约中的不一致。",
    },
    "audit.finding.status": {
        "en": "The status the ledger rows give differs from the contract's.",
        "zh-CN": "由账本记录推算的法律状态与合约中的不一致。",
    },
    "audit.finding.order": {
        "en": "A record precedes the registration of its asset.",
        "zh-CN": "该记录早于其资产的登记。",
    },
    "audit.finding.gap": {
        "en": "The seller was not the owner at the time of the transfer.",
        "zh-CN": "转让时卖方并非权利人。",
    },
    "audit.finding.restored": {
        "en": "A void hands the asset to someone other than the voided sale's seller.",
        "zh-CN": "作废操作将资产交还给了被作废交易卖方以外的人。",
    },
    "audit.finding.parties": {
        "en": "A release is between other parties than the pledge it releases.",
        "zh-CN": "解除质押的当事人与被解除的质押不一致。",
    },
    "audit.finding.unanchored_policy": {
        "en": "A claim is recorded under a policy that no anchored quote or policy of the asset carries.",
        "zh-CN": "理赔记录所依据的保单不属于该资产任何已锚定的报价或保单。",
    },
    # consent
    "audit.finding.signature": {
        "en": "A party's consent signature does not verify against the record's terms.",
        "zh-CN": "当事人的同意签名与交易条款不符，验证未通过。",
    },
    "audit.finding.orphan": {
        "en": "A consent names a record that is not a transaction recorded with it, in the same chain transaction.",
        "zh-CN": "同意记录所指的交易不是在同一链上交易中与其一同记录的交易。",
    },
    "audit.finding.party": {
        "en": "A consent was signed by someone who is no party to the record, or a party signed twice or out of order.",
        "zh-CN": "同意签名人并非该交易的当事人，或同一当事人重复签名、签名顺序不符。",
    },
    "audit.finding.nonce": {
        "en": "A consent's nonce names another recorder than the record's: it was not signed for this submission.",
        "zh-CN": "同意签名的随机数指向的记录人与该交易的记录人不同：该签名并非为此次提交而签。",
    },
    "audit.finding.replay": {
        "en": "A consent's nonce was already spent by an earlier consent: a replayed signature.",
        "zh-CN": "同意签名的随机数已被此前的同意记录使用：这是重放的签名。",
    },
    # documents and reports
    "audit.finding.missing": {
        "en": "A document named on chain is not in the document store.",
        "zh-CN": "链上登记的文件不在文件库中。",
    },
    "audit.finding.mismatch": {
        "en": "A document file does not hash to the hash on chain: it was altered.",
        "zh-CN": "文件的哈希值与链上登记的不一致：文件已被改动。",
    },
    "audit.finding.unstored": {
        "en": "An anchored report is not in the document store.",
        "zh-CN": "已锚定的报告不在文件库中。",
    },
    "audit.finding.altered": {
        "en": "A report file does not hash to its anchor: it was altered after anchoring.",
        "zh-CN": "报告文件的哈希值与锚定值不一致：报告在锚定后被改动。",
    },
    "audit.finding.not_json": {
        "en": "A report file is not readable JSON.",
        "zh-CN": "报告文件不是可读的 JSON。",
    },
    "audit.finding.irreproducible": {
        "en": "Recomputing the report from the ledger at its block does not give the anchored report.",
        "zh-CN": "按锚定时的区块状态重新计算，得不到已锚定的报告。",
    },
    "audit.finding.anchor_field": {
        "en": "A figure in the report file differs from the figure anchored on chain.",
        "zh-CN": "报告文件中的数值与链上锚定的数值不一致。",
    },
    "audit.finding.not_recomputed": {
        "en": "These reports were checked by their hash only, not recomputed (see the message).",
        "zh-CN": "这些报告仅核对了哈希值，未重新计算（见说明）。",
    },
    # witness and anchored witnesses
    "audit.finding.chain_id": {
        "en": "The chain is not the chain the witness was taken on.",
        "zh-CN": "当前链不是见证文件所记录的链。",
    },
    "audit.finding.head_missing": {
        "en": "The chain no longer holds the witnessed block: it was cut back or rewritten.",
        "zh-CN": "链上已不存在见证的区块：链被截短或改写。",
    },
    "audit.finding.genesis": {
        "en": "The genesis block differs from the witness: this is another chain.",
        "zh-CN": "创世区块与见证文件不一致：这是另一条链。",
    },
    "audit.finding.deployment": {
        "en": "The deployment block differs from the witness: the chain was rewritten or is another chain.",
        "zh-CN": "部署区块与见证文件不一致：链被改写或是另一条链。",
    },
    "audit.finding.head_hash": {
        "en": "The witnessed block's hash differs: the chain was rewritten after the witness was taken.",
        "zh-CN": "见证区块的哈希值不一致：见证之后链被改写。",
    },
    "audit.finding.logs": {
        "en": "The logs up to the witnessed block do not give the witnessed records and accumulator.",
        "zh-CN": "截至见证区块的日志与见证的记录数及累积哈希不一致。",
    },
    "audit.finding.state": {
        "en": "The contracts' state at the witnessed block differs from the witness.",
        "zh-CN": "见证区块时合约的状态与见证文件不一致。",
    },
    "audit.finding.none": {
        "en": "No verified anchored witness was found.",
        "zh-CN": "未找到经验证的已锚定见证。",
    },
    "audit.finding.chain": {
        "en": "The witness anchor is on another chain than the one checked.",
        "zh-CN": "见证锚定所在的链与所核查的链不同。",
    },
    "audit.finding.missing_tx": {
        "en": "The anchor transaction is not on the anchor chain.",
        "zh-CN": "锚定交易不在锚定链上。",
    },
    "audit.finding.hidden_anchor": {
        "en": "The anchor account sent more anchors than are kept: a newer witness may have been removed.",
        "zh-CN": "锚定账户发送的锚定多于所保存的：较新的见证可能已被删除。",
    },
    "audit.finding.hash": {
        "en": "The anchored hash differs from the kept witness: the witness was edited.",
        "zh-CN": "锚定的哈希值与保存的见证不一致：见证文件已被改动。",
    },
}
