-- The business-type catalogue (业务类型) of a State Grid customer-service hall and the customer
-- classes of seed 000 Table 1. Imports may add to or rename these; codes are stable.

INSERT INTO business_type (code, name, name_en, channel, target_handling_min) VALUES
  ('new_conn_resident',     '居民新装',           'Resident new connection',                 'counter',      15),
  ('new_conn_lv_nonres',    '低压非居民新装',     'Low-voltage non-resident new connection', 'counter',      20),
  ('new_conn_hv',           '高压新装',           'High-voltage new connection',             'counter',      30),
  ('capacity_increase',     '增容',               'Capacity increase',                       'counter',      25),
  ('capacity_reduction',    '减容',               'Capacity reduction',                      'counter',      20),
  ('pause_resume',          '暂停/恢复',          'Pause / resume supply',                   'counter',      15),
  ('ownership_transfer',    '过户',               'Transfer of ownership',                   'counter',      15),
  ('rename',                '更名',               'Rename',                                  'counter',      10),
  ('real_name_auth',        '实名认证',           'Real-name authentication',                'both',          5),
  ('service_password',      '服务密码修改',       'Change of service password',              'both',          5),
  ('meter_verification',    '电能表校验',         'Meter verification request',              'counter',      10),
  ('meter_move',            '电能表移位/更换',    'Meter move or replacement',               'counter',      15),
  ('temporary_power',       '临时用电',           'Temporary power',                         'counter',      20),
  ('account_closing',       '销户',               'Account closing',                         'counter',      15),
  ('tariff_change',         '电价/计费方式变更',  'Tariff or billing-method change',         'counter',      15),
  ('vat_invoice_info',      '增值税发票信息维护', 'VAT invoice information',                 'counter',      10),
  ('ev_charger',            '充电桩报装',         'EV charging pile installation',           'counter',      20),
  ('distributed_pv',        '分布式电源并网',     'Distributed PV connection',               'counter',      30),
  ('fault_report',          '故障报修',           'Fault repair report',                     'counter',       5),
  ('bill_payment',          '缴费',               'Bill payment',                            'both',          3),
  ('power_purchase',        '购电/补卡',          'Power purchase / card rewrite',           'both',          5),
  ('bill_printing',         '账单/发票打印',      'Bill and invoice printing',               'both',          3),
  ('consultation',          '咨询',               'Consultation',                            'counter',       5),
  ('complaint',             '投诉/举报/建议',     'Complaint, report or suggestion',         'counter',      10);

INSERT INTO customer_class (code, name, name_en, weight) VALUES
  ('premium',   '优质客户', 'Premium',   2.0),
  ('general',   '一般客户', 'General',   1.0),
  ('potential', '潜在客户', 'Potential', 0.9);
